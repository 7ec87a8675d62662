import { BadRequestException, Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Session, SessionHandle } from 'nestjs-typed-session';

@Controller()
export class AuthController {
  @Post('login')
  @HttpCode(200)
  async login(@Session() session: SessionHandle, @Body() body: { user?: unknown }) {
    if (typeof body?.user !== 'string' || body.user.length === 0) {
      throw new BadRequestException('send {"user": "<name>"}');
    }
    // A new id at the moment of privilege change defeats session fixation; the cart is kept.
    await session.regenerate();
    session.set('user', body.user);
    return { user: body.user };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Session() session: SessionHandle) {
    await session.destroy();
    return { loggedOut: true };
  }

  @Get('me')
  me(@Session({ readonly: true }) session: SessionHandle) {
    return { user: session.get<string>('user') ?? null, keys: session.keys() };
  }
}

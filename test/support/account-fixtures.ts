import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { Session, SessionHandle, SessionService } from '../../src/index.js';

/**
 * An account area as an application writes it: login binds the session to the user with the
 * device's description, the account page lists the user's sessions, and two buttons log out
 * the other devices or every one.
 */
@Controller('account')
export class AccountController {
  constructor(private readonly sessions: SessionService) {}

  @Post('login')
  @HttpCode(200)
  async login(
    @Session() session: SessionHandle,
    @Body() body: { user: string; device: string },
    @Headers('user-agent') agent: string | undefined,
  ) {
    await session.regenerate();
    session.setUser(body.user, { device: body.device, agent: agent ?? null });
    session.set('greeting', `hello ${body.user}`);
    return { ok: true };
  }

  @Get('me')
  me(@Session() session: SessionHandle) {
    return {
      userId: session.userId,
      info: session.userInfo,
      greeting: session.get('greeting') ?? null,
      isNew: session.isNew,
    };
  }

  @Post('rotate')
  @HttpCode(200)
  async rotate(@Session() session: SessionHandle) {
    await session.regenerate();
    return { ok: true };
  }

  @Get('sessions')
  sessionsOfUser(@Session() session: SessionHandle) {
    return this.sessions.listForUser(this.userOf(session), { current: session });
  }

  @Post('logout-others')
  @HttpCode(200)
  async logoutOthers(@Session() session: SessionHandle) {
    const user = this.userOf(session);
    return { destroyed: await this.sessions.destroyForUser(user, { except: session }) };
  }

  @Post('logout-everywhere')
  @HttpCode(200)
  async logoutEverywhere(@Session() session: SessionHandle) {
    const destroyed = await this.sessions.destroyForUser(this.userOf(session));
    await session.destroy(); // this device too: its cookie is cleared now
    return { destroyed };
  }

  private userOf(session: SessionHandle): string {
    if (!session.userId) throw new UnauthorizedException('log in first');
    return session.userId;
  }
}

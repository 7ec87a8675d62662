import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  InternalServerErrorException,
  Param,
  Post,
  Redirect,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsString, Min, ValidateNested, IsDate, IsOptional } from 'class-validator';
import {
  Session,
  SessionHandle,
  SessionSchema,
  SessionService,
  type JsonValue,
} from '../../src/index.js';

export class CartItem {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
}

@SessionSchema('cart')
export class CartSession {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => CartItem)
  items: CartItem[] = [];

  @IsOptional() @IsDate() @Type(() => Date) updatedAt?: Date;
}

@SessionSchema('prefs')
export class PrefsSession {
  @IsString() theme = 'light';
}

/** Lets a guard reach the session through `SessionService`, as an auth guard would. */
@Injectable()
export class VisitCountingGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await this.sessions.get(context);
    session.set('guardVisits', (session.get<number>('guardVisits') ?? 0) + 1);
    return true;
  }
}

@Controller()
export class FixtureController {
  @Get('cart')
  view(@Session() cart: CartSession) {
    return { items: cart.items, updatedAt: cart.updatedAt?.toISOString() ?? null };
  }

  @Post('cart')
  add(@Session() cart: CartSession, @Body() item: CartItem) {
    cart.items.push(item);
    cart.updatedAt = new Date('2026-01-02T03:04:05.000Z');
    return { count: cart.items.length };
  }

  @Post('cart-and-prefs')
  both(
    @Session() cart: CartSession,
    @Session() prefs: PrefsSession,
    @Body() body: { theme: string },
  ) {
    prefs.theme = body.theme;
    return { items: cart.items.length, theme: prefs.theme };
  }

  @Get('prefs')
  prefs(@Session(PrefsSession) prefs: PrefsSession) {
    return { theme: prefs.theme };
  }

  @Get('reader')
  reader(@Session({ readonly: true }) cart: CartSession) {
    cart.items.push({ sku: 'ignored', quantity: 1 });
    return { count: cart.items.length };
  }

  @Post('cart/add-and-redirect')
  @Redirect('/cart', 303)
  addAndRedirect(@Session() cart: CartSession, @Body() item: CartItem) {
    cart.items.push(item);
  }

  @Post('cart/fail-400')
  refuse(@Session() cart: CartSession, @Body() item: CartItem) {
    cart.items.push(item);
    throw new BadRequestException('counted, but refused');
  }

  @Post('cart/fail-500')
  crash(@Session() cart: CartSession, @Body() item: CartItem) {
    cart.items.push(item);
    throw new InternalServerErrorException('boom');
  }

  @Get('untouched')
  untouched() {
    return { ok: true };
  }

  @Get('bag')
  bag(@Session() session: SessionHandle) {
    return { id: session.id, isNew: session.isNew, keys: session.keys().sort() };
  }

  @Get('bag/:key')
  read(@Session() session: SessionHandle, @Param('key') key: string) {
    return { value: session.get<JsonValue>(key) ?? null };
  }

  @Post('bag/:key')
  @HttpCode(200)
  write(
    @Session() session: SessionHandle,
    @Param('key') key: string,
    @Body() body: { value: unknown },
  ) {
    session.set(key, body.value);
    return { ok: true };
  }

  @Delete('bag/:key')
  remove(@Session() session: SessionHandle, @Param('key') key: string) {
    session.remove(key);
    return { ok: true };
  }

  @Post('bag-clear')
  @HttpCode(200)
  clear(@Session() session: SessionHandle) {
    session.clear();
    return { ok: true };
  }

  @Post('login')
  @HttpCode(200)
  async login(@Session() session: SessionHandle, @Body() body: { user: string }) {
    const before = session.id;
    await session.regenerate();
    session.set('user', body.user);
    return { before, after: session.id };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Session() session: SessionHandle) {
    await session.destroy();
    return { ok: true };
  }

  @Get('guarded')
  @UseGuards(VisitCountingGuard)
  guarded(@Session() session: SessionHandle) {
    return { visits: session.get('guardVisits') };
  }
}

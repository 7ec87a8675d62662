import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsString, ValidateNested } from 'class-validator';
import { Session, SessionHandle, SessionLock, SessionSchema } from '../../src/index.js';

export class Line {
  @IsString() sku!: string;
}

@SessionSchema('basket')
export class BasketSession {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => Line)
  lines: Line[] = [];
}

@SessionSchema('settings')
export class SettingsSession {
  @IsArray() @IsString({ each: true }) flags: string[] = [];
}

@SessionSchema({ key: 'ledger', onConflict: 'reject' })
export class LedgerSession {
  @IsArray() @IsString({ each: true }) entries: string[] = [];
}

/** Handlers pause between load and commit, so that concurrent requests really overlap. */
const pause = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

@Controller()
export class ConcurrencyController {
  @Post('start')
  @HttpCode(200)
  start(@Session() session: SessionHandle) {
    session.set('started', true);
    return { ok: true };
  }

  @Post('locked/basket')
  @HttpCode(200)
  @SessionLock({ waitMs: 20_000 })
  async lockedAdd(@Session() basket: BasketSession, @Body() line: Line) {
    await pause();
    basket.lines.push({ sku: line.sku });
    return { count: basket.lines.length };
  }

  @Post('basket')
  @HttpCode(200)
  async add(@Session() basket: BasketSession, @Body() line: Line) {
    await pause();
    basket.lines.push({ sku: line.sku });
    return { count: basket.lines.length };
  }

  @Post('settings')
  @HttpCode(200)
  async flag(@Session() settings: SettingsSession, @Body() body: { flag: string }) {
    await pause();
    settings.flags.push(body.flag);
    return { count: settings.flags.length };
  }

  @Get('state')
  state(@Session() basket: BasketSession, @Session() settings: SettingsSession) {
    return { lines: basket.lines.map((line) => line.sku), flags: settings.flags };
  }

  @Post('ledger')
  @HttpCode(200)
  async record(@Session() ledger: LedgerSession, @Body() body: { entry: string; wait?: number }) {
    await pause(body.wait ?? 0);
    ledger.entries.push(body.entry);
    return { entries: ledger.entries };
  }

  @Get('ledger')
  ledger(@Session() ledger: LedgerSession) {
    return { entries: ledger.entries };
  }

  @Get('locked/reader')
  @SessionLock({ waitMs: 20_000 })
  reader(@Session({ readonly: true }) basket: BasketSession) {
    return { count: basket.lines.length };
  }

  @Post('locked/slow')
  @HttpCode(200)
  @SessionLock({ waitMs: 100 })
  async slow(@Session() basket: BasketSession, @Body() body: { wait: number; sku: string }) {
    await pause(body.wait);
    basket.lines.push({ sku: body.sku });
    return { count: basket.lines.length };
  }

  @Post('slow-write')
  @HttpCode(200)
  async slowWrite(@Session() basket: BasketSession, @Body() body: { wait: number; sku: string }) {
    await pause(body.wait);
    basket.lines.push({ sku: body.sku });
    return { count: basket.lines.length };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Session() session: SessionHandle) {
    await session.destroy();
    return { ok: true };
  }

  @Post('login')
  @HttpCode(200)
  async login(@Session() session: SessionHandle) {
    await session.regenerate();
    return { ok: true };
  }
}

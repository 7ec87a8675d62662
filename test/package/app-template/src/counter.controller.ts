import { Controller, Get, Post } from '@nestjs/common';
import { Session, SessionHandle } from 'nestjs-typed-session';
import { CounterSession } from './counter.session.js';

@Controller()
export class CounterController {
  @Post('bump')
  bump(@Session() counter: CounterSession): { n: number } {
    counter.n += 1;
    return { n: counter.n };
  }

  @Get('count')
  count(@Session({ readonly: true }) counter: CounterSession): { n: number } {
    return { n: counter.n };
  }

  @Post('logout')
  async logout(@Session() session: SessionHandle): Promise<void> {
    await session.destroy();
  }
}

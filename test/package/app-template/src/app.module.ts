import { Module } from '@nestjs/common';
import { SessionModule } from 'nestjs-typed-session';
import { CounterController } from './counter.controller.js';

@Module({
  imports: [SessionModule.forRoot({ secret: 'packed-app-secret-packed-app-secret-0' })],
  controllers: [CounterController],
})
export class AppModule {}

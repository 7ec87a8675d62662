import { IsInt, Min } from 'class-validator';
import { SessionSchema } from 'nestjs-typed-session';

@SessionSchema('counter')
export class CounterSession {
  @IsInt()
  @Min(0)
  n = 0;
}

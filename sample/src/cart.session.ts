import { Type } from 'class-transformer';
import { IsArray, IsInt, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { SessionSchema } from 'nestjs-typed-session';

export class CartItem {
  @IsString() @Length(1, 40) sku!: string;
  @IsInt() @Min(1) @Max(99) quantity!: number;
}

/** The `cart` namespace of the session: validated on the way in and out. */
@SessionSchema('cart')
export class CartSession {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => CartItem)
  items: CartItem[] = [];
}

import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsDefined,
  IsEmail,
  IsEmpty,
  IsEnum,
  IsIn,
  IsInt,
  IsNegative,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/**
 * Schemas that exercise every decorator the schema compiler supports, for the differential
 * test. They are plain classes (not registered with `@SessionSchema`): the runner takes a class.
 */

export enum Tier {
  Free = 'free',
  Pro = 'pro',
}

export enum Level {
  Low = 1,
  High = 2,
}

export class Scalars {
  @IsString() @MinLength(2) @MaxLength(5) name = 'ab';
  @IsNumber({ maxDecimalPlaces: 2 }) @Min(-10) @Max(10) ratio = 0;
  @IsNumber({ allowNaN: false, allowInfinity: false }) plain = 0;
  @IsInt() @IsPositive() count = 1;
  @IsInt() @IsNegative() debt = -1;
  @IsBoolean() flag = false;
  @IsDate() @Type(() => Date) at = new Date(0);
  @IsIn(['a', 'b', 3]) choice: string | number = 'a';
  @IsEnum(Tier) tier = Tier.Free;
  @IsEnum(Level) level = Level.Low;
  @IsString() @Length(2, 4) code = 'ab';
  @Matches(/^[a-z]{3}-\d{2}$/) ref = 'abc-12';
  @IsEmail() email = 'a@example.com';
  @IsNotEmpty() note = 'x';
  @IsEmpty() nothing?: unknown;
  @IsDefined() must!: unknown;
  @IsObject() meta: object = {};
  @Allow() free?: unknown;
}

export class Collections {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(3) @IsString({ each: true }) tags: string[] = ['t'];
  @IsInt({ each: true }) @Min(0, { each: true }) scores: number[] = [];
  @IsOptional() @IsArray() @MaxLength(3, { each: true }) words?: string[];
  @IsOptional() @IsDate({ each: true }) @Type(() => Date) days?: Date[];
}

export class Messages {
  @IsString({ message: '$property of $target must be text, not $value' }) label = 'x';
  @Min(5, { message: (args) => `${args.property} below ${String(args.constraints[0])}` })
  amount = 5;
  @Length(1, 3, { message: 'between $constraint1 and $constraint2' }) short = 'a';
  @IsIn(['x', 'y'], { message: 'one of $constraint1' }) pick = 'x';
  @IsInt({ message: '' }) blank = 0;
  @IsOptional() @IsString() @IsDefined() maybe?: string;
}

export class Leaf {
  @IsString() @MinLength(1) id = 'l';
  @IsOptional() @IsInt() weight?: number;
}

export class Branch {
  @ValidateNested() @Type(() => Leaf) leaf: Leaf = new Leaf();
  @IsArray() @ValidateNested({ each: true }) @Type(() => Leaf) leaves: Leaf[] = [];
}

export class Base {
  @IsString() kind = 'base';
}

export class Tree extends Base {
  @ValidateNested() @Type(() => Branch) trunk: Branch = new Branch();
  @IsOptional() @ValidateNested() @Type(() => Leaf) spare?: Leaf;
  /** No `@Type`: class-transformer keeps plain objects, class-validator whitelists them. */
  @IsOptional() @ValidateNested() loose?: object;
  /** `@Type` without `@ValidateNested`: hydrated but not validated inside. */
  @IsOptional() @Type(() => Leaf) @IsObject() unchecked?: Leaf;
  @IsOptional()
  @ValidateNested({ each: true, message: 'each $property item must be an object' })
  @Type(() => Leaf)
  grid?: Leaf[][];
  @IsOptional() @IsDate() @Type(() => Date) when?: Date;
}

/** The sample app's cart (sample/src/cart.session.ts), declared here: the sample imports the package. */
export class SampleCartItem {
  @IsString() @Length(1, 40) sku!: string;
  @IsInt() @Min(1) @Max(99) quantity!: number;
}

export class SampleCart {
  @IsArray() @ValidateNested({ each: true }) @Type(() => SampleCartItem) items: SampleCartItem[] =
    [];
}

/** test/e2e/features.spec.ts's schemas, declared here: spec files cannot be imported. */
export class FeaturesProfile {
  @IsString() first = '';
  @IsString() last = '';
}

export class FeaturesScore {
  @IsInt() points = 0;
}

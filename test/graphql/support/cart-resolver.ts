import {
  ForbiddenException,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Args, Field, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Flash, Session, SessionHandle, SessionService } from '../../../src/index.js';
import { CartSession } from '../../support/fixtures.js';

@ObjectType()
export class CartLine {
  @Field() sku!: string;
  @Field(() => Int) quantity!: number;
}

@ObjectType()
export class CartView {
  @Field(() => [CartLine]) items!: CartLine[];
}

function view(cart: CartSession): CartView {
  return { items: cart.items.map((item) => ({ sku: item.sku, quantity: item.quantity })) };
}

/** An auth guard as an application writes one: counts refused attempts in the session. */
@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await this.sessions.get(context);
    if (session.get<string>('user') !== undefined) return true;
    session.set('refusals', (session.get<number>('refusals') ?? 0) + 1);
    throw new ForbiddenException('sign in first');
  }
}

@Resolver()
export class CartResolver {
  @Query(() => CartView)
  cart(@Session({ readonly: true }) cart: CartSession): CartView {
    return view(cart);
  }

  @Query(() => String, { nullable: true })
  sessionId(@Session({ readonly: true }) session: SessionHandle): string | null {
    return session.isNew ? null : session.id;
  }

  @Query(() => Int)
  refusals(@Session({ readonly: true }) session: SessionHandle): number {
    return session.get<number>('refusals') ?? 0;
  }

  /** A query that writes (a visit counter), for operations mixing readers and a writer. */
  @Query(() => Int)
  visit(@Session() session: SessionHandle): number {
    const visits = (session.get<number>('visits') ?? 0) + 1;
    session.set('visits', visits);
    return visits;
  }

  /** The message an earlier mutation left, shown once. */
  @Query(() => String, { nullable: true })
  notice(@Flash('notice') notice: string | undefined): string | null {
    return notice ?? null;
  }

  @Mutation(() => Boolean)
  leaveNotice(@Args('text') text: string, @Session() session: SessionHandle): boolean {
    session.flash('notice', text);
    return true;
  }

  @Mutation(() => CartView)
  addToCart(
    @Args('sku') sku: string,
    @Args('quantity', { type: () => Int }) quantity: number,
    @Session() cart: CartSession,
  ): CartView {
    cart.items.push({ sku, quantity });
    return view(cart);
  }

  /** Changes the cart, then fails as a bug would: a 5xx, so nothing may be committed. */
  @Mutation(() => CartView)
  addToCartThenFail(@Args('sku') sku: string, @Session() cart: CartSession): CartView {
    cart.items.push({ sku, quantity: 1 });
    throw new Error('the resolver failed after changing the cart');
  }

  @Mutation(() => Boolean)
  async login(@Args('user') user: string, @Session() session: SessionHandle): Promise<boolean> {
    await session.regenerate();
    session.set('user', user);
    return true;
  }

  @Mutation(() => Boolean)
  async logout(@Session() session: SessionHandle): Promise<boolean> {
    await session.destroy();
    return true;
  }

  @Query(() => String)
  @UseGuards(SignedInGuard)
  async whoAmI(@Session({ readonly: true }) session: SessionHandle): Promise<string> {
    return session.get<string>('user')!;
  }
}

/** A resolver that does not use the session: it runs no code of the library. */
@Resolver()
export class PlainResolver {
  @Query(() => String)
  ping(): string {
    return 'pong';
  }
}

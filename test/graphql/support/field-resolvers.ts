import {
  Field,
  Int,
  ObjectType,
  Query,
  ResolveField,
  Resolver,
  Subscription,
  Mutation,
} from '@nestjs/graphql';
import { Session, SessionHandle, SessionLock } from '../../../src/index.js';
import { CartSession } from '../../support/fixtures.js';

@ObjectType()
export class Basket {
  @Field() label!: string;
}

/** A field of an object type that reads the session: needs Nest's interceptors on fields. */
@Resolver(() => Basket)
export class BasketResolver {
  @Query(() => Basket)
  basket(): Basket {
    return { label: 'mine' };
  }

  @ResolveField(() => Int)
  lines(@Session({ readonly: true }) cart: CartSession): number {
    return cart.items.length;
  }

  @Mutation(() => Int)
  addLine(@Session() cart: CartSession): number {
    cart.items.push({ sku: 'x', quantity: 1 });
    return cart.items.length;
  }
}

@Resolver()
export class LockedResolver {
  @Mutation(() => Boolean)
  @SessionLock()
  pay(@Session() session: SessionHandle): boolean {
    return !session.isNew;
  }
}

@Resolver()
export class SubscriptionResolver {
  @Query(() => String)
  hello(): string {
    return 'hi';
  }

  @Subscription(() => String)
  cartChanged(@Session({ readonly: true }) session: SessionHandle): AsyncIterator<string> {
    throw new Error(`never subscribed (${session.id})`);
  }
}

import { Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Observable } from 'rxjs';
import { Session, SessionHandle, SessionService } from '../../../src/index.js';
import { CartItem, CartSession } from '../../support/fixtures.js';

/** A guard that asks `SessionService` for the session of a gateway message. */
@Injectable()
export class SessionReadingGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.sessions.get(context);
    return true;
  }
}

/** A gateway beside the HTTP fixture routes: the same cart, read and written over a socket. */
@WebSocketGateway()
export class CartGateway {
  @SubscribeMessage('cart')
  view(@Session({ readonly: true }) cart: CartSession) {
    return { items: cart.items };
  }

  @SubscribeMessage('whoami')
  whoami(@Session({ readonly: true }) session: SessionHandle) {
    return { user: session.get('user') ?? null, isNew: session.isNew };
  }

  @SubscribeMessage('add')
  add(@Session() cart: CartSession, @MessageBody() item: CartItem) {
    cart.items.push(item);
    return { count: cart.items.length };
  }

  /** Adds, then sends two values: each goes out after the commit of what came before it. */
  @SubscribeMessage('add-streamed')
  addStreamed(@Session() cart: CartSession, @MessageBody() item: CartItem) {
    return new Observable((subscriber) => {
      cart.items.push(item);
      subscriber.next({ count: cart.items.length });
      subscriber.complete();
    });
  }

  /** Adds and completes without a value: nothing is sent back. */
  @SubscribeMessage('add-silently')
  addSilently(@Session() cart: CartSession, @MessageBody() item: CartItem) {
    return new Observable((subscriber) => {
      cart.items.push(item);
      subscriber.complete();
    });
  }

  @SubscribeMessage('set-on-reader')
  setOnReader(@Session({ readonly: true }) session: SessionHandle) {
    session.set('note', 'written by a reader');
    return { ok: true };
  }

  @SubscribeMessage('regenerate')
  async regenerate(@Session() session: SessionHandle) {
    await session.regenerate();
    session.set('user', 'renamed');
    return { ok: true };
  }

  @SubscribeMessage('logout')
  async logout(@Session() session: SessionHandle) {
    await session.destroy();
    return { ok: true };
  }

  @SubscribeMessage('guarded')
  @UseGuards(SessionReadingGuard)
  guarded(@Session({ readonly: true }) session: SessionHandle) {
    return { isNew: session.isNew };
  }

  @SubscribeMessage('ping')
  ping() {
    return { pong: true };
  }
}

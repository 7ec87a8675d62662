import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { Session } from 'nestjs-typed-session';
import { CartItem, CartSession } from './cart.session.js';

@Controller('cart')
export class CartController {
  @Get()
  view(@Session() cart: CartSession) {
    return { items: cart.items };
  }

  @Post()
  add(@Session() cart: CartSession, @Body() item: CartItem) {
    const existing = cart.items.find((line) => line.sku === item.sku);
    if (existing) existing.quantity += item.quantity;
    else cart.items.push({ sku: item.sku, quantity: item.quantity });
    return { items: cart.items };
  }

  @Delete(':sku')
  remove(@Session() cart: CartSession, @Param('sku') sku: string) {
    cart.items = cart.items.filter((line) => line.sku !== sku);
    return { items: cart.items };
  }
}

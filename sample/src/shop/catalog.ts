/** What the sample shop sells: a fixed list, so the page needs no database. */
export interface Product {
  sku: string;
  name: string;
  priceCents: number;
}

export const CATALOG: readonly Product[] = [
  { sku: 'apple', name: 'Apple', priceCents: 40 },
  { sku: 'bread', name: 'Sourdough bread', priceCents: 450 },
  { sku: 'cheese', name: 'Comté, 200 g', priceCents: 620 },
  { sku: 'coffee', name: 'Coffee beans, 250 g', priceCents: 890 },
];

export function findProduct(sku: string): Product | undefined {
  return CATALOG.find((product) => product.sku === sku);
}

export function formatPrice(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}

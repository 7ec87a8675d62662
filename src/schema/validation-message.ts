import type { ValidationArguments } from 'class-validator';

/**
 * The text class-validator reports for a failed constraint: the decorator's `message` (a string
 * or a function of the arguments) or else the constraint's default message, with `$constraintN`,
 * `$value` (primitives only), `$property` and `$target` replaced, in class-validator's order.
 */
export function formatMessage(
  message: string | ((args: ValidationArguments) => string) | undefined,
  args: ValidationArguments,
): string {
  let text: string | undefined =
    typeof message === 'function' ? message(args) : typeof message === 'string' ? message : '';
  if (text && Array.isArray(args.constraints)) {
    args.constraints.forEach((constraint: unknown, index) => {
      text = text!.replace(
        new RegExp(`\\$constraint${index + 1}`, 'g'),
        constraintText(constraint),
      );
    });
  }
  const { value } = args;
  if (
    text &&
    (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
  ) {
    text = text.replace(/\$value/g, String(value));
  }
  if (text) text = text.replace(/\$property/g, args.property);
  if (text) text = text.replace(/\$target/g, String(args.targetName));
  return text as string;
}

function constraintText(constraint: unknown): string {
  if (Array.isArray(constraint)) return constraint.join(', ');
  if (typeof constraint === 'symbol') return String(constraint.description);
  return `${constraint as string}`;
}

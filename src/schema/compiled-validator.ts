import type { ValidationArguments } from 'class-validator';
import {
  planOf,
  type ClassPlan,
  type NestedRule,
  type PropertyPlan,
  type Rule,
} from './schema-plan.js';
import type { SchemaFailure } from './schema-failure.js';
import { formatMessage } from './validation-message.js';

type Target = Record<string, unknown>;

/**
 * Validates a hydrated instance as class-validator's `validate(instance, { whitelist: true,
 * forbidNonWhitelisted, forbidUnknownValues: false })` does, synchronously, and appends the
 * failures in the order its errors flatten to (`namespace.path`). With `strip`, undeclared
 * properties are deleted instead of reported (class-validator's `whitelist` without `forbid…`).
 * Answers whether anything was stripped.
 */
export function validateCompiled(
  plan: ClassPlan,
  instance: object,
  path: string,
  strip: boolean,
  failures: SchemaFailure[],
): boolean {
  return new CompiledValidation(strip, failures).execute(plan, instance as Target, path);
}

class CompiledValidation {
  stripped = false;

  constructor(
    private readonly strip: boolean,
    private readonly failures: SchemaFailure[],
  ) {}

  execute(plan: ClassPlan, object: Target, path: string): boolean {
    for (const key of Object.keys(object)) {
      if (plan.declared.has(key)) continue;
      if (this.strip) {
        delete object[key];
        this.stripped = true;
      } else {
        this.failures.push({
          field: `${path}.${key}`,
          constraints: ['whitelistValidation'],
          messages: [`property ${key} should not exist`],
        });
      }
    }
    for (const property of plan.properties) this.property(plan, object, property, path);
    return this.stripped;
  }

  private property(plan: ClassPlan, object: Target, property: PropertyPlan, path: string): void {
    const value = object[property.name];
    if (property.optional && (value === null || value === undefined)) return;
    let failure: SchemaFailure | undefined;
    for (const rule of property.defined)
      failure = this.rule(plan, object, value, rule, path, failure);
    for (const rule of property.rules)
      failure = this.rule(plan, object, value, rule, path, failure);
    const nested = property.nested;
    if (nested && value !== undefined && !Array.isArray(value) && !(value instanceof Object)) {
      failure = add(
        failure,
        `${path}.${property.name}`,
        'nestedValidation',
        nestedMessage(nested, value),
      );
    }
    if (failure) this.failures.push(failure);
    if (nested && value !== undefined) this.nested(nested, value, `${path}.${property.name}`);
  }

  private rule(
    plan: ClassPlan,
    object: Target,
    value: unknown,
    rule: Rule,
    path: string,
    failure: SchemaFailure | undefined,
  ): SchemaFailure | undefined {
    // The rule's own arguments object, refilled per call: validators get what class-validator
    // passes them, without an allocation per check.
    const args = rule.args;
    // `object.constructor.name` as class-validator reports it: the plan's class is that constructor.
    args.targetName = plan.typeName;
    args.object = object;
    args.value = value;
    let valid: unknown = true;
    if (rule.each && Array.isArray(value)) {
      for (let index = 0; index < value.length && valid; index++) {
        valid = rule.validate(value[index], args);
      }
    } else {
      valid = rule.validate(value, args);
    }
    if (valid) return failure;
    const failed: ValidationArguments = { ...args };
    // class-validator: an empty `message` counts as none.
    const message = formatMessage(rule.message || (rule.defaultMessage?.(failed) ?? ''), failed);
    return add(failure, `${path}.${rule.property}`, rule.name, message);
  }

  /** `@ValidateNested`: an object is validated by its own class; arrays element by element. */
  private nested(nested: NestedRule, value: unknown, field: string): void {
    if (Array.isArray(value)) {
      value.forEach((element: unknown, index) => {
        if (element === undefined) return;
        const elementField = `${field}.${index}`;
        if (Array.isArray(element) || element instanceof Object) {
          this.nested(nested, element, elementField);
        } else {
          this.failures.push({
            field: elementField,
            constraints: ['nestedValidation'],
            messages: [nestedMessage(nested, element)],
          });
        }
      });
    } else if (value instanceof Object) {
      const type = (value as object).constructor as new () => object;
      this.execute(planOf(type), value as Target, field);
    }
  }
}

/** Adds a constraint to a field's failure; a repeated name keeps its place and the last message. */
function add(
  failure: SchemaFailure | undefined,
  field: string,
  constraint: string,
  message: string,
): SchemaFailure {
  if (!failure) return { field, constraints: [constraint], messages: [message] };
  const index = failure.constraints.indexOf(constraint);
  if (index >= 0) failure.messages[index] = message;
  else {
    failure.constraints.push(constraint);
    failure.messages.push(message);
  }
  return failure;
}

/** class-validator formats `@ValidateNested`'s message with the class as the object. */
function nestedMessage(nested: NestedRule, value: unknown): string {
  return formatMessage(nested.message, {
    targetName: 'Function',
    property: nested.property,
    object: {},
    value,
    constraints: nested.constraints as unknown[],
  });
}

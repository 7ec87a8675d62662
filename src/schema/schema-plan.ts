import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import { defaultMetadataStorage as transformerStorage } from 'class-transformer/cjs/storage.js';

/**
 * What the schema compiler knows about one class, read once from class-validator's and
 * class-transformer's metadata. Building a plan throws `NotCompilable` for anything the compiler
 * does not reproduce exactly; the schema then goes through class-transformer and class-validator.
 */
export interface ClassPlan {
  type: new () => object;
  /** `type.name`, read once (a function's name is a slow property to read). */
  typeName: string;
  /** Validated properties, in the order class-validator validates them. */
  properties: PropertyPlan[];
  /** Properties with any validation metadata: the whitelist. */
  declared: Set<string>;
  /** How class-transformer types a property when hydrating (`@Type`), by property name. */
  typed: Map<string, HydrationType>;
  /** Keys the class's prototype owns as methods or getter-only accessors: never hydrated. */
  blocked: Set<string>;
}

/** `@Type(() => Date)`, or `@Type(() => SomeClass)` with that class's plan (built lazily). */
export type HydrationType = { kind: 'date' } | { kind: 'class'; plan: () => ClassPlan };

export interface PropertyPlan {
  name: string;
  /** `@IsOptional()`: null and undefined skip every other rule. */
  optional: boolean;
  /** `@IsDefined()` rules: checked even where other rules would be skipped. */
  defined: Rule[];
  rules: Rule[];
  /** `@ValidateNested()`, with its failure message for values that are not objects. */
  nested: NestedRule | undefined;
}

export interface Rule {
  /** The constraint name class-validator reports (`isInt`, `min`, …). */
  name: string;
  each: boolean;
  constraints: unknown[] | undefined;
  property: string;
  validate: (value: unknown, args: ValidationArguments) => unknown;
  /** Reused for every call of `validate` (validation is synchronous). */
  args: ValidationArguments;
  /** The decorator's own message, if any. */
  message: string | ((args: ValidationArguments) => string) | undefined;
  defaultMessage: ((args: ValidationArguments) => string) | undefined;
}

export interface NestedRule {
  property: string;
  message: string | ((args: ValidationArguments) => string) | undefined;
  constraints: unknown[] | undefined;
}

export class NotCompilable extends Error {}

/**
 * class-validator constraints the compiler runs through their own `validate` function: all are
 * synchronous and read only the value and their constraints. Anything else (custom constraints,
 * async ones) makes the schema fall back.
 */
const COMPILABLE_CONSTRAINTS = new Set([
  'isDefined',
  'isString',
  'isNumber',
  'isInt',
  'isBoolean',
  'isDate',
  'isArray',
  'isObject',
  'isNotEmpty',
  'isEmpty',
  'min',
  'max',
  'minLength',
  'maxLength',
  'isLength',
  'isIn',
  'isNotIn',
  'isEnum',
  'isPositive',
  'isNegative',
  'arrayMinSize',
  'arrayMaxSize',
  'arrayNotEmpty',
  'matches',
  'isEmail',
  'equals',
  'notEquals',
]);

/** Built-in types class-transformer converts itself; only `Date` is reproduced here. */
const UNSUPPORTED_TYPES: unknown[] = [
  String,
  Number,
  Boolean,
  Buffer,
  Map,
  Set,
  Promise,
  Array,
  Object,
];

interface ValidationMetadataLike {
  type: string;
  name?: string;
  target: unknown;
  propertyName: string;
  constraints?: unknown[];
  constraintCls?: unknown;
  message?: string | ((args: ValidationArguments) => string);
  groups?: string[];
  each?: boolean;
  validateIf?: unknown;
}

interface ConstraintMetadataLike {
  name?: string;
  async?: boolean;
  instance: {
    validate: (value: unknown, args: ValidationArguments) => unknown;
    defaultMessage?: (args: ValidationArguments) => string;
  };
}

const plans = new WeakMap<object, ClassPlan>();
const EMPTY_PLAN_TYPES = new Set<unknown>([Object, Date]);

/** The plan of a class; classes reached through `@Type` are planned when first needed. */
export function planOf(type: new () => object): ClassPlan {
  let plan = plans.get(type);
  if (!plan) {
    plan = buildPlan(type);
    plans.set(type, plan);
  }
  return plan;
}

/** Plans the class and every class it reaches, so that a schema compiles entirely or not at all. */
export function planSchema(type: new () => object): ClassPlan {
  const seen = new Set<ClassPlan>();
  const visit = (plan: ClassPlan): void => {
    if (seen.has(plan)) return;
    seen.add(plan);
    for (const hydration of plan.typed.values()) {
      if (hydration.kind === 'class') visit(hydration.plan());
    }
  };
  const root = planOf(type);
  visit(root);
  return root;
}

function buildPlan(type: new () => object): ClassPlan {
  const where = `${type.name}`;
  if (!EMPTY_PLAN_TYPES.has(type)) checkTransformer(type, where);
  const storage = getMetadataStorage();
  const metadatas = (EMPTY_PLAN_TYPES.has(type)
    ? []
    : storage.getTargetValidationMetadatas(
        type,
        '',
        false,
        false,
        undefined,
      )) as unknown as ValidationMetadataLike[];
  const grouped = new Map<string, ValidationMetadataLike[]>();
  for (const metadata of metadatas) {
    if (typeof metadata.target === 'string') throw new NotCompilable(`${where}: schema-based`);
    if (metadata.groups?.length) throw new NotCompilable(`${where}: validation groups`);
    let list = grouped.get(metadata.propertyName);
    if (!list) grouped.set(metadata.propertyName, (list = []));
    list.push(metadata);
  }
  const properties: PropertyPlan[] = [];
  for (const [name, list] of grouped) properties.push(planProperty(name, list, where));
  return {
    type,
    typeName: type.name,
    properties,
    declared: new Set(grouped.keys()),
    typed: EMPTY_PLAN_TYPES.has(type) ? new Map() : typedProperties(type, where),
    blocked: prototypeBlocked(type),
  };
}

function planProperty(name: string, list: ValidationMetadataLike[], where: string): PropertyPlan {
  const plan: PropertyPlan = { name, optional: false, defined: [], rules: [], nested: undefined };
  for (const metadata of list) {
    if (metadata.validateIf !== undefined) throw new NotCompilable(`${where}.${name}: validateIf`);
    switch (metadata.type) {
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        if (metadata.name !== 'isOptional') throw new NotCompilable(`${where}.${name}: ValidateIf`);
        plan.optional = true;
        break;
      case ValidationTypes.NESTED_VALIDATION:
        if (plan.nested) throw new NotCompilable(`${where}.${name}: two @ValidateNested`);
        plan.nested = {
          property: name,
          message: metadata.message,
          constraints: metadata.constraints,
        };
        break;
      case ValidationTypes.IS_DEFINED:
        plan.defined.push(planRule(name, metadata, where));
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
        plan.rules.push(planRule(name, metadata, where));
        break;
      default:
        throw new NotCompilable(`${where}.${name}: ${metadata.type}`);
    }
  }
  return plan;
}

function planRule(name: string, metadata: ValidationMetadataLike, where: string): Rule {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(
    metadata.constraintCls as new () => object,
  ) as unknown as ConstraintMetadataLike[];
  const constraint = constraints.length === 1 ? constraints[0] : undefined;
  if (!constraint?.name || constraint.async || !COMPILABLE_CONSTRAINTS.has(constraint.name)) {
    throw new NotCompilable(`${where}.${name}: constraint ${String(constraint?.name)}`);
  }
  const instance = constraint.instance;
  return {
    name: constraint.name,
    each: metadata.each === true,
    constraints: metadata.constraints,
    property: metadata.propertyName,
    validate: instance.validate.bind(instance),
    args: {
      targetName: '',
      property: metadata.propertyName,
      object: {},
      value: undefined,
      constraints: metadata.constraints as unknown[],
    },
    message: metadata.message,
    defaultMessage:
      typeof instance.defaultMessage === 'function'
        ? instance.defaultMessage.bind(instance)
        : undefined,
  };
}

/** `@Type` properties of a class and its ancestors; refuses what class-transformer would alter. */
function typedProperties(type: new () => object, where: string): Map<string, HydrationType> {
  const typeMaps = transformerStorage._typeMetadatas;
  if (!typeMaps) throw new NotCompilable(`${where}: unknown class-transformer version`);
  const typed = new Map<string, HydrationType>();
  for (const owner of lineage(type)) {
    for (const property of typeMaps.get(owner)?.keys() ?? []) {
      if (typed.has(property)) continue;
      const metadata = transformerStorage.findTypeMetadata(type, property)!;
      if (metadata.options?.discriminator)
        throw new NotCompilable(`${where}.${property}: discriminator`);
      const typeFunction = metadata.typeFunction;
      if (typeFunction && typeFunction.length > 0) {
        throw new NotCompilable(`${where}.${property}: @Type reads its options`);
      }
      const target = typeFunction ? typeFunction() : metadata.reflectedType;
      const reflected = metadata.reflectedType;
      if (reflected === Set || reflected === Map) {
        throw new NotCompilable(`${where}.${property}: ${String(reflected)} property`);
      }
      if (target === Date) {
        typed.set(property, { kind: 'date' });
      } else if (typeof target === 'function' && !UNSUPPORTED_TYPES.includes(target)) {
        const cls = target as new () => object;
        typed.set(property, { kind: 'class', plan: () => planOf(cls) });
      } else {
        throw new NotCompilable(`${where}.${property}: @Type of ${String(target)}`);
      }
    }
  }
  return typed;
}

/** class-transformer features the compiler does not reproduce: any makes the schema fall back. */
function checkTransformer(type: new () => object, where: string): void {
  const transforms = transformerStorage._transformMetadatas;
  if (!transforms) throw new NotCompilable(`${where}: unknown class-transformer version`);
  for (const owner of lineage(type)) {
    if (transforms.get(owner)?.size) throw new NotCompilable(`${where}: @Transform`);
  }
  if (
    transformerStorage.getStrategy(type) !== 'none' ||
    transformerStorage.getExposedMetadatas(type).length > 0 ||
    transformerStorage.getExcludedMetadatas(type).length > 0
  ) {
    throw new NotCompilable(`${where}: @Expose/@Exclude`);
  }
}

/** The class and its ancestors up to (not including) `Object`. */
function lineage(type: new () => object): unknown[] {
  const classes: unknown[] = [];
  for (
    let current: unknown = type;
    typeof current === 'function' && current !== Function.prototype;
  ) {
    classes.push(current);
    current = Object.getPrototypeOf(current);
  }
  return classes;
}

/** What class-transformer refuses to overwrite: the prototype's own methods and getters. */
function prototypeBlocked(type: new () => object): Set<string> {
  const blocked = new Set<string>();
  const prototype = type.prototype as object;
  for (const key of Object.getOwnPropertyNames(prototype)) {
    if (Object.getOwnPropertyDescriptor(prototype, key)?.set === undefined) blocked.add(key);
  }
  return blocked;
}

import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { hydrateClass } from './compiled-hydrator.js';
import { validateCompiled } from './compiled-validator.js';
import { NotCompilable, planSchema, type ClassPlan } from './schema-plan.js';
import { SHAPE_CONSTRAINTS, shapeFailure, type SchemaFailure } from './schema-failure.js';

/** A plain object turned into a schema instance and checked. */
export interface SchemaRun {
  instance: object;
  failures: SchemaFailure[];
  /** Undeclared properties were removed (only when stripping). */
  stripped: boolean;
}

/**
 * Hydrates and validates a namespace's plain object: compiled functions when the schema's
 * decorators are all ones the compiler reproduces (synchronous), class-transformer and
 * class-validator otherwise (asynchronous). Both apply the whitelist: undeclared properties are
 * failures (`whitelistValidation`) or, with `strip`, removed.
 */
export interface SchemaRunner {
  /** `undefined` when compiled; else why the schema falls back to the libraries. */
  readonly fallbackReason: string | undefined;
  run(plain: Record<string, unknown>, key: string, strip: boolean): SchemaRun | Promise<SchemaRun>;
}

const runners = new WeakMap<object, SchemaRunner>();

/** The runner of a schema class, compiled at first use. */
export function runnerFor(type: new () => object): SchemaRunner {
  let runner = runners.get(type);
  if (!runner) {
    runner = createRunner(type);
    runners.set(type, runner);
  }
  return runner;
}

function createRunner(type: new () => object): SchemaRunner {
  let plan: ClassPlan;
  try {
    plan = planSchema(type);
  } catch (error) {
    if (!(error instanceof NotCompilable)) throw error;
    return new LibraryRunner(type, error.message);
  }
  return new CompiledRunner(plan);
}

class CompiledRunner implements SchemaRunner {
  readonly fallbackReason = undefined;

  constructor(private readonly plan: ClassPlan) {}

  run(plain: Record<string, unknown>, key: string, strip: boolean): SchemaRun {
    let instance: object;
    try {
      instance = hydrateClass(this.plan, plain);
    } catch (error) {
      return hydrationFailed(this.plan.type, key, error);
    }
    const failures: SchemaFailure[] = [];
    const stripped = validateCompiled(this.plan, instance, key, strip, failures);
    return { instance, failures, stripped };
  }
}

/** class-transformer and class-validator themselves, for schemas the compiler does not know. */
export class LibraryRunner implements SchemaRunner {
  constructor(
    private readonly type: new () => object,
    readonly fallbackReason: string | undefined,
  ) {}

  async run(plain: Record<string, unknown>, key: string, strip: boolean): Promise<SchemaRun> {
    let instance: object;
    try {
      instance = plainToInstance(this.type, plain, { exposeDefaultValues: true });
    } catch (error) {
      return hydrationFailed(this.type, key, error);
    }
    const errors = await validate(instance, {
      forbidUnknownValues: false,
      whitelist: true,
      forbidNonWhitelisted: !strip,
    });
    // class-validator strips silently; assume it did, so the caller re-serialises.
    return { instance, failures: flattenErrors(errors, key), stripped: strip };
  }
}

/** class-validator's error tree as failures, depth first, a field's own before its children's. */
export function flattenErrors(errors: ValidationError[], prefix: string): SchemaFailure[] {
  const failures: SchemaFailure[] = [];
  for (const error of errors) {
    const field = `${prefix}.${error.property}`;
    if (error.constraints) {
      failures.push({
        field,
        constraints: Object.keys(error.constraints),
        messages: Object.values(error.constraints),
      });
    }
    if (error.children?.length) failures.push(...flattenErrors(error.children, field));
  }
  return failures;
}

function hydrationFailed(type: new () => object, key: string, error: unknown): SchemaRun {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    instance: Object.create(type.prototype) as object,
    failures: [
      shapeFailure(key, SHAPE_CONSTRAINTS.hydration, `${key} could not be built (${reason})`),
    ],
    stripped: false,
  };
}

// class-transformer keeps its decorators' metadata in a module singleton that its package entry
// does not export. The schema compiler reads it (read only) from the same CommonJS file the
// `@Type` decorator writes to; these are the parts it reads.
declare module 'class-transformer/cjs/storage.js' {
  interface TypeMetadataLike {
    target: unknown;
    propertyName: string;
    reflectedType: unknown;
    typeFunction?: (options?: unknown) => unknown;
    options?: { discriminator?: unknown; keepDiscriminatorProperty?: boolean };
  }
  interface ClassTransformerStorage {
    findTypeMetadata(target: unknown, propertyName: string): TypeMetadataLike | undefined;
    getStrategy(target: unknown): string;
    getExposedMetadatas(target: unknown): unknown[];
    getExcludedMetadatas(target: unknown): unknown[];
    findTransformMetadatas(target: unknown, propertyName: string, type: number): unknown[];
    readonly _typeMetadatas?: Map<unknown, Map<string, TypeMetadataLike>>;
    readonly _transformMetadatas?: Map<unknown, Map<string, unknown[]>>;
  }
  export const defaultMetadataStorage: ClassTransformerStorage;
}

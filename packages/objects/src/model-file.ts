import { readFileSync } from 'node:fs';
import { ObjectsErrors } from './errors.js';
import { readModel, type ModelReadResult } from './common/model-reader.js';
import type { Model } from './common/model.js';

/**
 * Reads a model file and the files it imports from disk. Diagnostics name the files as given
 * (relative paths stay relative). Returns the model and every diagnostic; never throws for bad XML.
 */
export function readModelFile(file: string): ModelReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ObjectsErrors.CARUSO_OBJECTS_MODEL_UNREADABLE({ file, reason: (err as NodeJS.ErrnoException).code ?? 'unknown' }, { cause: err });
  }
  return readModel(text, file, {
    loader: {
      read: (path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return undefined;
        }
      },
    },
  });
}

/**
 * Reads a model file and throws CARUSO_OBJECTS_INVALID_MODEL (with every diagnostic in `details`)
 * when it has errors.
 */
export function loadModelFile(file: string): Model {
  const { model, diagnostics } = readModelFile(file);
  return requireModel(model, diagnostics, file);
}

/** Returns the model, or throws CARUSO_OBJECTS_INVALID_MODEL listing the errors. */
export function requireModel(model: Model | undefined, diagnostics: ModelReadResult['diagnostics'], file: string): Model {
  if (model) return model;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  throw ObjectsErrors.CARUSO_OBJECTS_INVALID_MODEL(
    { file, count: errors.length, first: errors[0]?.toString() ?? 'unknown' },
    { details: { diagnostics: errors.map((d) => d.toString()) } },
  );
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseReportDefinitions, type ReportDefinition } from './report-definition.js';

/** What {@link readReportFolder} found: the definitions, and a problem per file that could not be read. */
export interface ReportFolder {
  readonly definitions: readonly ReportDefinition[];
  /** `file` is the name within the folder. */
  readonly problems: ReadonlyArray<{ readonly file: string; readonly message: string }>;
}

/**
 * A company's report definitions: every `*.json` file of `folder` (one definition or a list each),
 * in file-name order. A file that is not JSON or not a valid definition, or that names a report
 * another file already defined, is a problem of that file; the others are still read. Throws the
 * file system's error when the folder cannot be listed.
 */
export function readReportFolder(folder: string): ReportFolder {
  const definitions: ReportDefinition[] = [];
  const problems: Array<{ file: string; message: string }> = [];
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
    try {
      for (const d of parseReportDefinitions(JSON.parse(readFileSync(join(folder, file), 'utf8')))) {
        if (definitions.some((o) => o.name === d.name)) problems.push({ file, message: `report ${d.name} is defined twice in the reports folder` });
        else definitions.push(d);
      }
    } catch (err) {
      problems.push({ file, message: (err as Error).message });
    }
  }
  return { definitions, problems };
}

import type { CommandArea } from '../command.js';
import { startArea } from './start.js';
import { servicesArea } from './services.js';
import { simulateArea } from './simulate.js';
import { scriptArea } from './script.js';
import { modelArea } from './model.js';
import { appArea } from './app.js';
import { reportArea } from './report.js';

/** Every area of the caruso command, in the order `--help` lists them. */
export const areas: readonly CommandArea[] = [startArea, servicesArea, simulateArea, scriptArea, modelArea, appArea, reportArea];

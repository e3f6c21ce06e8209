// Every command family, in one list for the command table. Each family owns its file.
import type { CommandSpec } from "../command";
import { bitCommands } from "./bits";
import { keyCommands } from "./keys";
import { lcsCommands } from "./lcs";
import { metricsCommands } from "./metrics";
import { objectCommands } from "./object";
import { serverCommands } from "./server";
import { stringCommands } from "./strings";
import { timeseriesCommands } from "./timeseries";
import { transactionCommands } from "./transactions";
import { tskvCommands } from "./tskv";

export function allCommands(): CommandSpec[] {
  return [...serverCommands, ...stringCommands, ...bitCommands, ...lcsCommands, ...keyCommands, ...objectCommands, ...metricsCommands, ...tskvCommands, ...timeseriesCommands, ...transactionCommands];
}

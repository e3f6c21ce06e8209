// Every command family, in one list for the command table. Each family owns its file.
import type { CommandSpec } from "../command";
import { serverCommands } from "./server";

export function allCommands(): CommandSpec[] {
  return [...serverCommands];
}

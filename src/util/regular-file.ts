/**
 * A path a user names as an input file must be a regular file: reading /dev/zero or /dev/urandom
 * whole never ends (it grew past 2 GB and aborted the process, or ran until killed), and a pipe
 * or socket may block for ever. Standard input stays available where a command documents '-'.
 */
import { statSync } from 'node:fs';
import { UserError } from './errors.js';

/** Throws a UserError when `path` exists and is neither a regular file nor a folder (folders have their own messages). */
export function refuseSpecialFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return; // missing or unreadable: the read that follows says why
  }
  if (!st.isFile() && !st.isDirectory()) throw new UserError(`${path}: not a regular file (a device, pipe or socket); give a file`);
}

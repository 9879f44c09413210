import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A small file of the server's own state, read whole and replaced whole. */
export interface WholeFile {
  path: string;
  /** Undefined when there is no such file yet. */
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
}

export function wholeFile(path: string): WholeFile {
  // Writes one after another, so that the last asked for is the one that stays.
  let writing = Promise.resolve();
  return {
    path,
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    write(text) {
      const written = writing.then(() => replaceWhole(path, text));
      writing = written.catch(() => undefined);
      return written;
    },
  };
}

async function replaceWhole(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Whole or not at all: a crash mid-write leaves the previous file, not half of one.
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await rename(partial, path);
}

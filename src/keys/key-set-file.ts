import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The key set as the store holds it (private keys encrypted), in a file of its own. */
export interface KeySetFile {
  read(): Promise<string | undefined>;
  write(raw: string): Promise<void>;
}

export function keySetFile(path: string): KeySetFile {
  return {
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async write(raw) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Whole or not at all: a crash mid-write leaves the previous key set, not half of one.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, raw, { mode: 0o600 });
      await rename(partial, path);
    },
  };
}

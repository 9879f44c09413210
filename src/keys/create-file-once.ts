import { randomBytes } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Creates `path` holding `content` unless it exists, in one step that other processes see whole:
 * the content goes to a draft of this process's own first, which is then linked in place (a link
 * fails where the name exists). Instances starting together on one folder, cluster mode's workers
 * among them, all read the first writer's file, never a half-written one, as a file created and
 * then written could be.
 */
export async function createFileOnce(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.draft`;
  await writeFile(draft, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, path);
  } catch (error) {
    // Another instance created the file first; everyone uses what it wrote.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
}

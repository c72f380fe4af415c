// The request journal of the app's CoT runs, in IndexedDB: answers by request hash, each written in a
// strict-durability transaction that has committed before the answer is used, so a reload or a closed
// tab never costs a second paid call. A database of its own: the dataset schema (db.ts) is unchanged.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { JournalWriteError, type RequestJournal } from './journal';

export const COT_JOURNAL_DB = 'p2r-cot-journal';

interface JournalSchema extends DBSchema {
  /** Out-of-line key: the request hash (journal.ts requestKey). */
  answers: { key: string; value: { body: string; at: number } };
}

export class IdbJournal implements RequestJournal {
  private constructor(private readonly db: IDBPDatabase<JournalSchema>) {}

  static async open(name = COT_JOURNAL_DB): Promise<IdbJournal> {
    if (typeof indexedDB === 'undefined') throw new JournalWriteError('IndexedDB is not available here: a CoT run needs it to keep its answers');
    try {
      const db = await openDB<JournalSchema>(name, 1, {
        upgrade(db) {
          db.createObjectStore('answers');
        },
      });
      return new IdbJournal(db);
    } catch (e) {
      throw new JournalWriteError(`could not open the CoT journal (IndexedDB '${name}'): ${(e as Error)?.message ?? e}`);
    }
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.db.get('answers', key))?.body;
  }

  async put(key: string, body: string): Promise<void> {
    try {
      const tx = this.db.transaction('answers', 'readwrite', { durability: 'strict' });
      await Promise.all([tx.store.put({ body, at: Date.now() }, key), tx.done]);
    } catch (e) {
      const name = (e as { name?: string })?.name;
      const why = name === 'QuotaExceededError' ? 'the storage quota is full' : ((e as Error)?.message ?? String(e));
      throw new JournalWriteError(`writing the CoT journal failed: ${why}`);
    }
  }

  async count(): Promise<number> {
    return this.db.count('answers');
  }

  async clear(): Promise<void> {
    await this.db.clear('answers');
  }

  close(): void {
    this.db.close();
  }
}

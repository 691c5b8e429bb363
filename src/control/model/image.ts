/** A machine image registered by an administrator (`privlink image add NAME DIR`). */
import type { Scoped } from './common.js';

export interface Image extends Scoped {
  name: string;
  description: string;
  /** Absolute path of the root filesystem directory on the host (the overlay's lower layer). */
  path: string;
  /** Set by `privlink image remove`: the ID stays known so that launches name it as gone. */
  deregisteredAt?: number;
}

/** What a control-plane use-case knows about its caller. */
import type { Principal } from './model/common.js';

export interface CallerContext {
  requestId: string;
  accountId: string;
  region: string;
  principal: Principal;
}

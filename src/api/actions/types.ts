/** What an action is: an input shape, and a handler that maps wire input → control → wire output. */
import type { Control } from '../../control/control.js';
import type { CallerContext } from '../../control/context.js';
import type { XmlTree } from '../query/encode.js';
import type { StructShape, Value } from '../query/shapes.js';
import type { CallerIdentity } from './sts/caller-identity.js';

export interface RequestContext extends CallerContext {
  action: string;
  control: Control;
  /** How STS GetCallerIdentity names the caller (an assumed-role session for a role key). */
  identity?: CallerIdentity;
}

export interface ActionDef<S extends StructShape = StructShape> {
  input: S;
  /**
   * Runs inside one store transaction. With DryRun=true the pipeline runs the handler (so every
   * validation error surfaces as on AWS) and then rolls the transaction back and answers
   * DryRunOperation: a dry run can never change anything.
   */
  run(input: Value<S>, ctx: RequestContext): XmlTree;
}

/** Defines an action with its input type inferred from the shape. */
export function defineAction<S extends StructShape>(
  input: S,
  run: (input: Value<S>, ctx: RequestContext) => XmlTree,
): ActionDef {
  return { input, run } as unknown as ActionDef;
}

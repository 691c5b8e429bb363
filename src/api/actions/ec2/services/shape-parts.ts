/**
 * Shape pieces shared by the services group. Required scalars are built outside `s.struct({…})`
 * on purpose: inside it, the contextual member type widens `required: true` to `boolean`, and the
 * decoded value would type as optional.
 */
import { s } from '../../../query/shapes.js';

export const requiredStr = s.str({ required: true });
export const payerShape = s.str({ required: true, enum: ['ServiceOwner'] });

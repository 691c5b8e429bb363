/**
 * Renders responses and errors in the two XML dialects:
 *  - EC2: `<XResponse xmlns=…2016-11-15/><requestId/>…`, lists as `<fooSet><item>…</item></fooSet>`,
 *    errors as `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
 *  - query (ELBv2, STS): `<XResponse><XResult>…</XResult><ResponseMetadata><RequestId/>…`, lists
 *    as `<member>`, errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
 * Handlers return plain trees keyed by wire element names; undefined members are omitted, empty
 * arrays become empty elements (AWS prints `"SubnetIds": []`), booleans print as true/false.
 */
import { XMLBuilder } from 'fast-xml-parser';

export type XmlTree = { [element: string]: XmlValue };
export type XmlValue = string | number | boolean | undefined | null | XmlTree | readonly XmlValue[];

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
  processEntities: true,
});

function toBuilderTree(v: XmlValue, itemName: string): unknown {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return '';
    return { [itemName]: v.map((x: XmlValue) => toBuilderTree(x, itemName) ?? '') };
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as XmlTree)) {
      const t = toBuilderTree(x, itemName);
      if (t !== undefined) out[k] = t;
    }
    return out;
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function encodeEc2Response(action: string, requestId: string, body: XmlTree): string {
  const inner = toBuilderTree(body, 'item') as Record<string, unknown>;
  return (
    DECL +
    builder.build({
      [`${action}Response`]: {
        '@_xmlns': 'http://ec2.amazonaws.com/doc/2016-11-15/',
        requestId,
        ...inner,
      },
    })
  );
}

export function encodeEc2Error(code: string, message: string, requestId: string): string {
  return (
    DECL +
    builder.build({ Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId } })
  );
}

export function encodeQueryResponse(action: string, xmlns: string, requestId: string, body: XmlTree): string {
  const inner = toBuilderTree(body, 'member') as Record<string, unknown>;
  return (
    DECL +
    builder.build({
      [`${action}Response`]: {
        '@_xmlns': xmlns,
        [`${action}Result`]: Object.keys(inner).length ? inner : '',
        ResponseMetadata: { RequestId: requestId },
      },
    })
  );
}

export function encodeQueryError(
  xmlns: string,
  code: string,
  message: string,
  requestId: string,
  status: number,
): string {
  return (
    DECL +
    builder.build({
      ErrorResponse: {
        '@_xmlns': xmlns,
        Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
        RequestId: requestId,
      },
    })
  );
}

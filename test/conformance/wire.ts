/**
 * Wire-level helpers for the conformance suite: send a signed Query request (EC2 or ELBv2) to a
 * running privlink and parse the XML answer into an ordered element tree, so tests can assert
 * element names, their order, empty elements and text exactly as botocore and JS v3 read them
 * (both parse by element name; an empty element means `[]`, a missing one means "absent").
 */
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import type { Privlink } from '../../src/emulator.js';
import { signedRaw, type RawResponse } from '../helpers/privlink.js';

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

type Ordered = Record<string, unknown>;

function convert(entries: readonly Ordered[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const e of entries) {
    const name = Object.keys(e).find((k) => k !== ':@');
    if (!name || name === '#text' || name === '?xml') continue;
    const raw = e[name];
    const kids = Array.isArray(raw) ? (raw as Ordered[]) : [];
    const attrs = (e[':@'] ?? {}) as Record<string, string>;
    const text = kids
      .filter((k) => '#text' in k)
      .map((k) => String(k['#text']))
      .join('');
    out.push({ name, attrs, children: convert(kids), text });
  }
  return out;
}

/** Parses an XML document into its root element (ordered children, raw text). */
export function parseXml(body: string): XmlNode {
  const roots = convert(parser.parse(body) as Ordered[]);
  const root = roots[0];
  assert.ok(root, `no root element in ${body.slice(0, 200)}`);
  return root;
}

/** The only child element called name (fails when missing or repeated). */
export function child(node: XmlNode, name: string): XmlNode {
  const hits = node.children.filter((c) => c.name === name);
  assert.equal(
    hits.length,
    1,
    `<${node.name}> should have exactly one <${name}>; has ${names(node).join(',')}`,
  );
  const [hit] = hits;
  assert.ok(hit);
  return hit;
}

export function maybeChild(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** Walks a path of element names. */
export function at(node: XmlNode, ...path: string[]): XmlNode {
  return path.reduce(child, node);
}

export function text(node: XmlNode, ...path: string[]): string {
  const n = at(node, ...path);
  assert.equal(n.children.length, 0, `<${n.name}> should be a leaf`);
  return n.text;
}

export function names(node: XmlNode): string[] {
  return node.children.map((c) => c.name);
}

/** Items of a `<fooSet><item>…</item></fooSet>` (or `<member>`) list; asserts the wrapper shape. */
export function items(node: XmlNode, item = 'item'): XmlNode[] {
  for (const c of node.children)
    assert.equal(c.name, item, `<${node.name}> holds <${c.name}>, not <${item}>`);
  return node.children;
}

/** Asserts an element is present and empty (`<subnetIdSet/>`), which clients read as `[]`. */
export function assertEmptyList(node: XmlNode, name: string): void {
  const n = child(node, name);
  assert.equal(n.children.length, 0, `<${name}> should be empty`);
  assert.equal(n.text.trim(), '', `<${name}> should be empty`);
}

export const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface WireCall {
  res: RawResponse;
  root: XmlNode;
}

export type Params = Record<string, string | number | boolean>;

function form(action: string, version: string, params: Params): string {
  const usp = new URLSearchParams({ Action: action, Version: version });
  for (const [k, v] of Object.entries(params)) usp.append(k, String(v));
  return usp.toString();
}

/** An EC2 Query call as `account`; returns the raw response and the parsed root. */
export async function ec2Call(
  p: Privlink,
  account: string,
  action: string,
  params: Params = {},
): Promise<WireCall> {
  const res = await signedRaw(p, form(action, '2016-11-15', params), { account });
  return { res, root: parseXml(res.body) };
}

/** Same, but asserts HTTP 200 and the success envelope; returns the response element. */
export async function ec2Ok(
  p: Privlink,
  account: string,
  action: string,
  params: Params = {},
): Promise<XmlNode> {
  const { res, root } = await ec2Call(p, account, action, params);
  assert.equal(res.status, 200, `${action} failed: ${res.body}`);
  assert.equal(root.name, `${action}Response`);
  return root;
}

export async function elbCall(
  p: Privlink,
  account: string,
  action: string,
  params: Params = {},
): Promise<WireCall> {
  const res = await signedRaw(p, form(action, '2015-12-01', params), {
    account,
    service: 'elasticloadbalancing',
  });
  return { res, root: parseXml(res.body) };
}

/** An ELBv2 call that must succeed; returns the `<XResult>` element. */
export async function elbOk(
  p: Privlink,
  account: string,
  action: string,
  params: Params = {},
): Promise<XmlNode> {
  const { res, root } = await elbCall(p, account, action, params);
  assert.equal(res.status, 200, `${action} failed: ${res.body}`);
  assert.equal(root.name, `${action}Response`);
  return child(root, `${action}Result`);
}

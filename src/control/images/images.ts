/**
 * Machine images (AMIs): the built-in host image, images an administrator registers from a
 * directory (`privlink image add NAME DIR`), DescribeImages' selection and the ImageId check of
 * RunInstances.
 *
 * Fidelity ledger (EC2 API reference DescribeImages/RunInstances, 2025)
 * - Covered: every image is public and owned by Amazon (owner alias `amazon`, owner ID
 *   137112412989) and visible in every region; Owners (`amazon`, `self`, an account ID),
 *   ExecutableBy (`all`, `self`, an account ID: everything is public), ImageIds (an unknown
 *   well-formed ID answers InvalidAMIID.NotFound "The image id '[ami-…]' does not exist", a
 *   malformed one InvalidAMIID.Malformed); RunInstances with a malformed ID answers
 *   InvalidAMIID.Malformed, with a deregistered image InvalidAMIID.NotFound.
 * - Gaps: RegisterImage, CreateImage, CopyImage, launch permissions, snapshots, deprecation.
 * - By design: the host image `ami-0123456789abcdef0` (the host's root, read-only, privlink's
 *   data and the host's private dirs hidden) always exists, and it is the default image:
 *   RunInstances with any well-formed `ami-` ID that was never registered boots it (the instance
 *   keeps the ID it was given), so scripts and IaC code written with real AMI IDs keep working. Images are
 *   registered only by an administrator (the admin endpoint), never through the EC2 API: a
 *   directory path from an API caller would let any account read host files.
 */
import { isAbsolute, normalize, sep } from 'node:path';
import type { Control } from '../control.js';
import { apiError } from '../errors.js';
import type { Image } from '../model/image.js';
import type { Stored } from '../../store/store.js';
import { isWellFormedId } from '../network/core-lookup.js';

/** The account ID AWS shows as the owner of Amazon's public images. */
export const AMAZON_OWNER_ID = '137112412989';
/** The built-in image: the host's root filesystem. */
export const HOST_IMAGE_ID = 'ami-0123456789abcdef0';
export const HOST_IMAGE_NAME = 'privlink-host-root';

/** An image as the API and the data plane see it: `path` undefined for the host image. */
export interface ImageView {
  id: string;
  name: string;
  description: string;
  path: string | undefined;
  createdAt: number;
}

/** Fixed creation date of the host image (it has none; a stable value keeps answers stable). */
const HOST_CREATED = Date.UTC(2024, 0, 1);

const HOST_IMAGE: ImageView = {
  id: HOST_IMAGE_ID,
  name: HOST_IMAGE_NAME,
  description:
    "The host's root filesystem, read-only, with privlink's data and the host's private directories hidden",
  path: undefined,
  createdAt: HOST_CREATED,
};

type ImageReader = { readonly store: Pick<Control['store'], 'find' | 'listAll'> };

const live = (i: Stored<'image'>): boolean => i.deregisteredAt === undefined;

function view(i: Stored<'image'>): ImageView {
  return { id: i.id, name: i.name, description: i.description, path: i.path, createdAt: i.createdAt };
}

export function allImages(control: ImageReader): ImageView[] {
  return [HOST_IMAGE, ...control.store.listAll('image').filter(live).map(view)];
}

export function findImage(control: ImageReader, id: string): ImageView | undefined {
  if (id === HOST_IMAGE_ID) return HOST_IMAGE;
  const i = control.store.find('image', id);
  return i && live(i) ? view(i) : undefined;
}

/**
 * The image an instance boots: a registered one, the host image for any ID never registered (the
 * default), undefined for a deregistered one.
 */
export function launchImage(control: ImageReader, id: string): ImageView | undefined {
  const i = control.store.find('image', id);
  if (i) return live(i) ? view(i) : undefined;
  return isWellFormedId('ami', id) ? HOST_IMAGE : undefined;
}

export function notFound(ids: readonly string[]): Error {
  return apiError('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);
}

export function checkAmiShape(id: string): void {
  if (!isWellFormedId('ami', id)) {
    throw apiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
  }
}

/** The image a launch names (see launchImage), or AWS's Malformed/NotFound error. */
export function requireImage(control: ImageReader, id: string): ImageView {
  checkAmiShape(id);
  const img = launchImage(control, id);
  if (!img) throw notFound([id]);
  return img;
}

/** DescribeImages' selection by ImageIds, Owners and ExecutableBy (filters are the caller's). */
export function selectImages(
  control: ImageReader,
  callerAccount: string,
  input: { imageIds: readonly string[]; owners: readonly string[]; executableBy: readonly string[] },
): ImageView[] {
  for (const id of input.imageIds) checkAmiShape(id);
  let out = allImages(control);
  if (input.imageIds.length) {
    const missing = input.imageIds.filter((id) => !out.some((i) => i.id === id));
    if (missing.length) throw notFound(missing);
    out = out.filter((i) => input.imageIds.includes(i.id));
  }
  if (input.owners.length) {
    for (const o of input.owners) {
      if (!/^(amazon|self|aws-marketplace|aws-backup-vault|\d{12})$/.test(o)) {
        throw apiError('InvalidUserID.Malformed', `Invalid user id: "${o}"`);
      }
    }
    // Every image here is Amazon's: `self` matches only when the caller is that account.
    const amazon = input.owners.some(
      (o) => o === 'amazon' || o === AMAZON_OWNER_ID || (o === 'self' && callerAccount === AMAZON_OWNER_ID),
    );
    if (!amazon) out = [];
  }
  // ExecutableBy: every image is public, so any value selects all of them.
  return out;
}

const NAME_RE = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

/** Directories an image may never be: they would show host secrets or live state to instances. */
const FORBIDDEN_ROOTS = ['/', '/root', '/home', '/proc', '/sys', '/dev', '/run', '/etc', '/boot'];
const FORBIDDEN_UNDER = ['/root', '/home', '/proc', '/sys', '/dev', '/run'];

export interface ImageRegistration {
  name: string;
  path: string;
  description?: string;
  /** Paths whose content must never reach an instance (data dir, credentials file…). */
  secrets: readonly string[];
}

/**
 * Registers a directory as an image (admin only). The path must be absolute and must not be
 * (or contain, or lie under) a host directory that instances must never see.
 */
export function registerImage(control: Control, r: ImageRegistration): ImageView {
  if (!NAME_RE.test(r.name)) {
    throw apiError(
      'InvalidAMIName.Malformed',
      `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'`,
    );
  }
  if (!isAbsolute(r.path))
    throw apiError('InvalidParameterValue', `image directory must be an absolute path: ${r.path}`);
  const path = normalize(r.path).replace(/\/+$/, '') || '/';
  const inside = (dir: string, parent: string) => dir === parent || dir.startsWith(parent + sep);
  if (FORBIDDEN_ROOTS.includes(path) || FORBIDDEN_UNDER.some((f) => inside(path, f))) {
    throw apiError(
      'InvalidParameterValue',
      `${path} cannot be an image: it is or lies in a host directory instances must not see`,
    );
  }
  for (const s of r.secrets) {
    if (inside(s, path) || inside(path, s)) {
      throw apiError(
        'InvalidParameterValue',
        `${path} cannot be an image: it holds or lies in privlink's own data (${s})`,
      );
    }
  }
  const all = allImages(control);
  if (all.some((i) => i.name === r.name)) {
    throw apiError(
      'InvalidAMIName.Duplicate',
      `AMI name ${r.name} is already in use by AMI ${all.find((i) => i.name === r.name)?.id ?? ''}`,
    );
  }
  const image: Image = {
    id: control.ids.resourceId('ami'),
    accountId: AMAZON_OWNER_ID,
    region: '*',
    createdAt: control.clock.now(),
    tags: [],
    name: r.name,
    description: r.description ?? '',
    path,
  };
  control.inTransaction(() => control.store.put('image', image));
  return view(control.store.find('image', image.id) as Stored<'image'>);
}

/** Removes a registered image (instances already launched from it keep their ImageId). */
export function deregisterImage(control: Control, id: string): void {
  checkAmiShape(id);
  if (id === HOST_IMAGE_ID) {
    throw apiError('OperationNotPermitted', `The built-in image ${HOST_IMAGE_ID} cannot be deregistered`);
  }
  const img = control.store.find('image', id);
  if (!img || !live(img)) throw notFound([id]);
  control.inTransaction(() => control.store.put('image', { ...img, deregisteredAt: control.clock.now() }));
}

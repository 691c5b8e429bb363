/**
 * DescribeImages — wire ↔ control (control/images/images.ts).
 *
 * Fidelity ledger (EC2 API reference DescribeImages and the SDK's Image shape, 2025)
 * - Covered: ImageId.N, Owner.N, ExecutableBy.N, MaxResults (5–1000) / NextToken, filters
 *   image-id, name, description, state, architecture, owner-alias, owner-id, is-public,
 *   image-type, platform-details, root-device-type, root-device-name, virtualization-type,
 *   hypervisor, ena-support, block-device-mapping.device-name,
 *   block-device-mapping.volume-type, tag:*, tag-key. The Image element carries what EC2 answers
 *   for a public Amazon EBS-backed HVM image: imageLocation `amazon/NAME`, imageState
 *   `available`, x86_64, /dev/xvda root with its ebs mapping, hvm, xen, platformDetails
 *   `Linux/UNIX`, usageOperation `RunInstances`, enaSupport, bootMode `uefi-preferred`.
 * - Gaps: IncludeDeprecated/IncludeDisabled are accepted and change nothing (no image is
 *   deprecated or disabled); the snapshot ID and volume size of the root mapping are invented.
 * - By design: images are registered by an administrator, not through the API (images.ts).
 */
import type { DeepReadonly, Tag } from '../../../../control/model/common.js';
import type { FilterTable } from '../../../../control/filters.js';
import { AMAZON_OWNER_ID, selectImages, type ImageView } from '../../../../control/images/images.js';
import { isoTime } from '../../../../shared/clock.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction, type ActionDef } from '../../types.js';
import { filterAndPage, paging } from '../core/common.js';

type Row = ImageView & { readonly tags: readonly DeepReadonly<Tag>[] };

const ROOT_DEVICE = '/dev/xvda';
const ROOT_SIZE_GIB = 8;

/** A stable snapshot ID for the image's root mapping (there is no snapshot to point at). */
const snapshotOf = (imageId: string) => `snap-${imageId.slice(4).padEnd(17, '0')}`;

const imageFilters: FilterTable<Row> = {
  'image-id': (i) => i.id,
  name: (i) => i.name,
  description: (i) => i.description,
  state: () => 'available',
  architecture: () => 'x86_64',
  'owner-alias': () => 'amazon',
  'owner-id': () => AMAZON_OWNER_ID,
  'is-public': () => 'true',
  'image-type': () => 'machine',
  'platform-details': () => 'Linux/UNIX',
  'root-device-type': () => 'ebs',
  'root-device-name': () => ROOT_DEVICE,
  'virtualization-type': () => 'hvm',
  hypervisor: () => 'xen',
  'ena-support': () => 'true',
  'block-device-mapping.device-name': () => ROOT_DEVICE,
  'block-device-mapping.volume-type': () => 'gp3',
};

export const IMAGE_ACTIONS: Record<'DescribeImages', ActionDef> = {
  DescribeImages: defineAction(
    s.struct({
      ...common,
      ...paging,
      ImageId: s.list(s.str()),
      Owner: s.list(s.str()),
      ExecutableBy: s.list(s.str()),
      Filter: s.list(filterShape),
      IncludeDeprecated: s.bool(),
      IncludeDisabled: s.bool(),
    }),
    (input, ctx) => {
      const rows: Row[] = selectImages(ctx.control, ctx.accountId, {
        imageIds: input.ImageId,
        owners: input.Owner,
        executableBy: input.ExecutableBy,
      }).map((i) => ({ ...i, tags: [] }));
      const page = filterAndPage(rows, input.Filter, imageFilters, (i) => i.id, input);
      return {
        imagesSet: page.items.map((i) => ({
          imageId: i.id,
          imageLocation: `amazon/${i.name}`,
          imageState: 'available',
          imageOwnerId: AMAZON_OWNER_ID,
          creationDate: isoTime(i.createdAt),
          isPublic: true,
          architecture: 'x86_64',
          imageType: 'machine',
          sriovNetSupport: 'simple',
          enaSupport: true,
          platformDetails: 'Linux/UNIX',
          usageOperation: 'RunInstances',
          imageOwnerAlias: 'amazon',
          name: i.name,
          description: i.description || undefined,
          rootDeviceType: 'ebs',
          rootDeviceName: ROOT_DEVICE,
          blockDeviceMapping: [
            {
              deviceName: ROOT_DEVICE,
              ebs: {
                snapshotId: snapshotOf(i.id),
                volumeSize: ROOT_SIZE_GIB,
                deleteOnTermination: true,
                volumeType: 'gp3',
                iops: 3000,
                throughput: 125,
                encrypted: false,
              },
            },
          ],
          virtualizationType: 'hvm',
          hypervisor: 'xen',
          bootMode: 'uefi-preferred',
          tagSet: [],
        })),
        nextToken: page.nextToken,
      };
    },
  ),
};

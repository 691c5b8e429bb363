/**
 * Wire edge of endpoint service configurations: Create/Modify/Delete/Describe
 * VpcEndpointServiceConfiguration(s), StartVpcEndpointServicePrivateDnsVerification and
 * ModifyVpcEndpointServicePayerResponsibility. Shapes list every wire parameter of the model
 * (docs/reference/aws-privatelink.md §6.5–6.8, §6.15–6.16); behaviour and its fidelity ledger live in
 * control/privatelink/endpoint-services.ts.
 */
import { common, s, tagSpecificationShape } from '../../../query/shapes.js';
import { describePagingMembers, pageRequest } from '../describe-paging.js';
import { defineAction } from '../../types.js';
import { payerShape, requiredStr } from './shape-parts.js';
import {
  createEndpointService,
  deleteEndpointServices,
  describeEndpointServices,
  modifyEndpointService,
  requestPrivateDnsVerification,
  setServicePayerResponsibility,
} from '../../../../control/privatelink/endpoint-services.js';
import { serviceConfiguration, unsuccessful } from './render.js';

const arnList = s.list(s.str());

export const createVpcEndpointServiceConfiguration = defineAction(
  s.struct({
    ...common,
    AcceptanceRequired: s.bool(),
    PrivateDnsName: s.str(),
    NetworkLoadBalancerArn: arnList,
    GatewayLoadBalancerArn: arnList,
    SupportedIpAddressType: s.list(s.str()),
    SupportedRegion: s.list(s.str()),
    ClientToken: s.str(),
    TagSpecification: s.list(tagSpecificationShape),
  }),
  (input, ctx) => {
    const { service, clientToken } = createEndpointService(ctx.control, ctx, {
      acceptanceRequired: input.AcceptanceRequired,
      privateDnsName: input.PrivateDnsName,
      networkLoadBalancerArns: input.NetworkLoadBalancerArn,
      gatewayLoadBalancerArns: input.GatewayLoadBalancerArn,
      supportedIpAddressTypes: input.SupportedIpAddressType,
      supportedRegions: input.SupportedRegion,
      clientToken: input.ClientToken,
      tagSpecifications: input.TagSpecification,
    });
    return { serviceConfiguration: serviceConfiguration(ctx.control, service), clientToken };
  },
);

export const modifyVpcEndpointServiceConfiguration = defineAction(
  s.struct({
    ...common,
    ServiceId: requiredStr,
    PrivateDnsName: s.str(),
    RemovePrivateDnsName: s.bool(),
    AcceptanceRequired: s.bool(),
    AddNetworkLoadBalancerArn: arnList,
    RemoveNetworkLoadBalancerArn: arnList,
    AddGatewayLoadBalancerArn: arnList,
    RemoveGatewayLoadBalancerArn: arnList,
    AddSupportedIpAddressType: s.list(s.str()),
    RemoveSupportedIpAddressType: s.list(s.str()),
    AddSupportedRegion: s.list(s.str()),
    RemoveSupportedRegion: s.list(s.str()),
  }),
  (input, ctx) => {
    modifyEndpointService(ctx.control, ctx, {
      serviceId: input.ServiceId,
      privateDnsName: input.PrivateDnsName,
      removePrivateDnsName: input.RemovePrivateDnsName,
      acceptanceRequired: input.AcceptanceRequired,
      addNetworkLoadBalancerArns: input.AddNetworkLoadBalancerArn,
      removeNetworkLoadBalancerArns: input.RemoveNetworkLoadBalancerArn,
      addGatewayLoadBalancerArns: input.AddGatewayLoadBalancerArn,
      removeGatewayLoadBalancerArns: input.RemoveGatewayLoadBalancerArn,
      addSupportedIpAddressTypes: input.AddSupportedIpAddressType,
      removeSupportedIpAddressTypes: input.RemoveSupportedIpAddressType,
      addSupportedRegions: input.AddSupportedRegion,
      removeSupportedRegions: input.RemoveSupportedRegion,
    });
    return { return: true };
  },
);

export const deleteVpcEndpointServiceConfigurations = defineAction(
  s.struct({ ...common, ServiceId: s.list(s.str(), { required: true }) }),
  (input, ctx) => ({ unsuccessful: unsuccessful(deleteEndpointServices(ctx.control, ctx, input.ServiceId)) }),
);

export const describeVpcEndpointServiceConfigurations = defineAction(
  s.struct({
    ...common,
    ServiceId: s.list(s.str()),
    ...describePagingMembers,
  }),
  (input, ctx) => {
    const page = describeEndpointServices(ctx.control, ctx, {
      serviceIds: input.ServiceId,
      ...pageRequest(input),
    });
    return {
      serviceConfigurationSet: page.items.map((svc) => serviceConfiguration(ctx.control, svc)),
      nextToken: page.nextToken,
    };
  },
);

export const startVpcEndpointServicePrivateDnsVerification = defineAction(
  s.struct({ ...common, ServiceId: requiredStr }),
  (input, ctx) => {
    requestPrivateDnsVerification(ctx.control, ctx, input.ServiceId);
    return { return: true };
  },
);

export const modifyVpcEndpointServicePayerResponsibility = defineAction(
  s.struct({
    ...common,
    ServiceId: requiredStr,
    PayerResponsibility: payerShape,
  }),
  (input, ctx) => {
    setServicePayerResponsibility(ctx.control, ctx, input.ServiceId, input.PayerResponsibility);
    return { return: true };
  },
);

/**
 * The EC2 calls herd makes, and nothing else: a narrow interface over the SDK client that a test can
 * replace, and that keeps SDK command classes out of the rest of the provider.
 */
import {
  AllocateAddressCommand,
  type AllocateAddressCommandInput,
  type AllocateAddressCommandOutput,
  AssociateAddressCommand,
  type AssociateAddressCommandInput,
  AuthorizeSecurityGroupIngressCommand,
  type AuthorizeSecurityGroupIngressCommandInput,
  CreateSecurityGroupCommand,
  type CreateSecurityGroupCommandInput,
  type CreateSecurityGroupCommandOutput,
  CreateTagsCommand,
  type CreateTagsCommandInput,
  DeleteKeyPairCommand,
  type DeleteKeyPairCommandInput,
  DeleteSecurityGroupCommand,
  type DeleteSecurityGroupCommandInput,
  DescribeAddressesCommand,
  type DescribeAddressesCommandInput,
  type DescribeAddressesCommandOutput,
  DescribeAvailabilityZonesCommand,
  type DescribeAvailabilityZonesCommandInput,
  type DescribeAvailabilityZonesCommandOutput,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandInput,
  type DescribeInstanceTypesCommandOutput,
  DescribeKeyPairsCommand,
  type DescribeKeyPairsCommandInput,
  type DescribeKeyPairsCommandOutput,
  DescribeSecurityGroupsCommand,
  type DescribeSecurityGroupsCommandInput,
  type DescribeSecurityGroupsCommandOutput,
  DescribeSubnetsCommand,
  type DescribeSubnetsCommandInput,
  type DescribeSubnetsCommandOutput,
  DescribeVpcsCommand,
  type DescribeVpcsCommandInput,
  type DescribeVpcsCommandOutput,
  DisassociateAddressCommand,
  type DisassociateAddressCommandInput,
  type EC2Client,
  ImportKeyPairCommand,
  type ImportKeyPairCommandInput,
  type Instance,
  ReleaseAddressCommand,
  type ReleaseAddressCommandInput,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
  StartInstancesCommand,
  type StartInstancesCommandInput,
  StopInstancesCommand,
  type StopInstancesCommandInput,
  TerminateInstancesCommand,
  type TerminateInstancesCommandInput,
} from '@aws-sdk/client-ec2';

/** Every EC2 action herd uses. `signal` aborts the HTTP request (Ctrl-C). */
export interface Ec2Api {
  describeKeyPairs(
    input: DescribeKeyPairsCommandInput,
    signal?: AbortSignal,
  ): Promise<DescribeKeyPairsCommandOutput>;
  importKeyPair(input: ImportKeyPairCommandInput, signal?: AbortSignal): Promise<unknown>;
  deleteKeyPair(input: DeleteKeyPairCommandInput): Promise<unknown>;
  describeVpcs(input: DescribeVpcsCommandInput, signal?: AbortSignal): Promise<DescribeVpcsCommandOutput>;
  describeSubnets(
    input: DescribeSubnetsCommandInput,
    signal?: AbortSignal,
  ): Promise<DescribeSubnetsCommandOutput>;
  describeSecurityGroups(
    input: DescribeSecurityGroupsCommandInput,
    signal?: AbortSignal,
  ): Promise<DescribeSecurityGroupsCommandOutput>;
  createSecurityGroup(
    input: CreateSecurityGroupCommandInput,
    signal?: AbortSignal,
  ): Promise<CreateSecurityGroupCommandOutput>;
  authorizeSecurityGroupIngress(input: AuthorizeSecurityGroupIngressCommandInput): Promise<unknown>;
  deleteSecurityGroup(input: DeleteSecurityGroupCommandInput): Promise<unknown>;
  describeImages(
    input: DescribeImagesCommandInput,
    signal?: AbortSignal,
  ): Promise<DescribeImagesCommandOutput>;
  runInstances(input: RunInstancesCommandInput): Promise<RunInstancesCommandOutput>;
  createTags(input: CreateTagsCommandInput): Promise<unknown>;
  /** Every instance matching `input`, following NextToken pages. */
  describeInstances(input: DescribeInstancesCommandInput, signal?: AbortSignal): Promise<Instance[]>;
  terminateInstances(input: TerminateInstancesCommandInput): Promise<unknown>;
  stopInstances(input: StopInstancesCommandInput): Promise<unknown>;
  startInstances(input: StartInstancesCommandInput): Promise<unknown>;
  allocateAddress(input: AllocateAddressCommandInput): Promise<AllocateAddressCommandOutput>;
  associateAddress(input: AssociateAddressCommandInput): Promise<unknown>;
  describeAddresses(input: DescribeAddressesCommandInput): Promise<DescribeAddressesCommandOutput>;
  disassociateAddress(input: DisassociateAddressCommandInput): Promise<unknown>;
  releaseAddress(input: ReleaseAddressCommandInput): Promise<unknown>;
  /** Read-only calls of `preflight` (dry runs, herd check). */
  describeAvailabilityZones(
    input: DescribeAvailabilityZonesCommandInput,
    signal?: AbortSignal,
  ): Promise<DescribeAvailabilityZonesCommandOutput>;
  describeInstanceTypes(
    input: DescribeInstanceTypesCommandInput,
    signal?: AbortSignal,
  ): Promise<DescribeInstanceTypesCommandOutput>;
  /** Closes the client's sockets. */
  destroy(): void;
}

/** The Ec2Api of a real SDK client. */
export function ec2ApiOf(client: EC2Client): Ec2Api {
  const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});
  return {
    describeKeyPairs: (input, signal) => client.send(new DescribeKeyPairsCommand(input), opts(signal)),
    importKeyPair: (input, signal) => client.send(new ImportKeyPairCommand(input), opts(signal)),
    deleteKeyPair: (input) => client.send(new DeleteKeyPairCommand(input)),
    describeVpcs: (input, signal) => client.send(new DescribeVpcsCommand(input), opts(signal)),
    describeSubnets: (input, signal) => client.send(new DescribeSubnetsCommand(input), opts(signal)),
    describeSecurityGroups: (input, signal) =>
      client.send(new DescribeSecurityGroupsCommand(input), opts(signal)),
    createSecurityGroup: (input, signal) => client.send(new CreateSecurityGroupCommand(input), opts(signal)),
    authorizeSecurityGroupIngress: (input) => client.send(new AuthorizeSecurityGroupIngressCommand(input)),
    deleteSecurityGroup: (input) => client.send(new DeleteSecurityGroupCommand(input)),
    describeImages: (input, signal) => client.send(new DescribeImagesCommand(input), opts(signal)),
    runInstances: (input) => client.send(new RunInstancesCommand(input)),
    createTags: (input) => client.send(new CreateTagsCommand(input)),
    async describeInstances(input, signal) {
      const instances: Instance[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new DescribeInstancesCommand({ ...input, ...(token ? { NextToken: token } : {}) }),
          opts(signal),
        );
        for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
        token = page.NextToken || undefined;
      } while (token);
      return instances;
    },
    terminateInstances: (input) => client.send(new TerminateInstancesCommand(input)),
    stopInstances: (input) => client.send(new StopInstancesCommand(input)),
    startInstances: (input) => client.send(new StartInstancesCommand(input)),
    allocateAddress: (input) => client.send(new AllocateAddressCommand(input)),
    associateAddress: (input) => client.send(new AssociateAddressCommand(input)),
    describeAddresses: (input) => client.send(new DescribeAddressesCommand(input)),
    disassociateAddress: (input) => client.send(new DisassociateAddressCommand(input)),
    releaseAddress: (input) => client.send(new ReleaseAddressCommand(input)),
    describeAvailabilityZones: (input, signal) =>
      client.send(new DescribeAvailabilityZonesCommand(input), opts(signal)),
    describeInstanceTypes: (input, signal) =>
      client.send(new DescribeInstanceTypesCommand(input), opts(signal)),
    destroy: () => client.destroy(),
  };
}

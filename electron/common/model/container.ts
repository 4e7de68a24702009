// What Glasshouse knows about a container from the Docker engine (list, inspect, events).

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PortBinding {
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIp?: string;
  hostPort?: number;
}

/** One row of the catalog; cheap to compute from a container list entry. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  state: ContainerState;
  /** Docker's human status, e.g. "Up 3 minutes". */
  status: string;
  createdAt: number;
  /** When the current run started (ms epoch), if running. */
  startedAt?: number;
  ports: PortBinding[];
  labels: Record<string, string>;
  composeProject?: string;
  composeService?: string;
}

export interface MountFact {
  type: string;
  source: string;
  destination: string;
  readOnly: boolean;
  propagation?: string;
}

/** The security-relevant parts of `docker inspect`. */
export interface ContainerFacts {
  user: string;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  readonlyRootfs: boolean;
  securityOpt: string[];
  apparmorProfile: string;
  networkMode: string;
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  usernsMode: string;
  cgroupParent: string;
  mounts: MountFact[];
  devices: string[];
  memoryLimit: number;
  nanoCpus: number;
  cpuShares: number;
  pidsLimit: number | null;
  restartPolicy: { name: string; maximumRetryCount: number };
  healthcheck: boolean;
  healthStatus?: string;
  env: string[];
  networks: Array<{ name: string; ipAddress: string; aliases: string[] }>;
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  pid: number;
  imageDigest?: string;
  ulimits: Array<{ name: string; soft: number; hard: number }>;
}

export interface ContainerDetail extends ContainerSummary {
  facts: ContainerFacts;
}

export interface ProcessListing {
  titles: string[];
  rows: string[][];
}

export interface ComposeGroup {
  /** Compose project name, or null for standalone containers. */
  project: string | null;
  services: Array<{ service: string | null; containers: ContainerSummary[] }>;
}

/** Minimal reference to a container carried with findings and events. */
export interface ContainerRef {
  id: string;
  name: string;
  image: string;
  imageDigest?: string;
  composeProject?: string;
  composeService?: string;
}

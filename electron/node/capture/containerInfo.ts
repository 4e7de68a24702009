// What the recorder needs from Docker, as a small interface the engine wires to its Docker connection.
import type { ContainerDetail, ContainerSummary, ResourceSample } from '../../common/model';
import type { DockerDiffEntry } from '../../common/state/fileTable';
import type { ContainerExecInfo } from '../../common/rules/posture/exec';

export interface ContainerInfoProvider {
  /** Full inspect of a container; undefined when it no longer exists. */
  inspect(id: string): Promise<ContainerDetail | undefined>;
  /** `docker diff`: changes relative to the image. */
  diff(id: string): Promise<DockerDiffEntry[]>;
  /** Running containers (to resolve names and compose projects to ids). */
  list?(): Promise<ContainerSummary[]>;
  /** Streams 1 Hz resource samples for a container; returns a function that stops the stream. */
  streamStats?(id: string, onSample: (s: ResourceSample) => void): () => void;
  /** Reports every `docker exec` into any container (CIS 5.23); returns a function that stops following. */
  watchExecs?(onExec: (e: ContainerExecInfo) => void): () => void;
}


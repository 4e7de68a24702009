// A coloured dot for a container state, with the state as its accessible label.
import type { ContainerState } from '../../../electron/common/model/container';

export function StateDot({ state }: { state: ContainerState }) {
  return <span className={`dot dot-${state}`} role="img" aria-label={state} title={state} />;
}

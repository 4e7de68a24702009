// Bundle entry for dist/electron/cli.cjs.
import { main } from './main';

main();

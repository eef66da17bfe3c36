/** The reference scripts' .npy outputs, read with the project's own reader. */
export { readNpy, rowCosines } from '../../lib/cli/npy';

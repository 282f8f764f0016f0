// jstat ships no type declarations (and there is no @types/jstat): these cover only what learnloop calls.
declare module 'jstat' {
  interface ContinuousDistribution {
    cdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
    sample(...params: number[]): number;
  }
  const jStat: {
    studentt: ContinuousDistribution;
    normal: ContinuousDistribution;
    gammaln(x: number): number;
    setRandom(fn: () => number): void;
  };
  export default jStat;
}

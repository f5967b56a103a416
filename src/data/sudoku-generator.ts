/**
 * Random unique-solution Sudoku puzzles: a random full grid (the solver filling an empty board with
 * candidates in random order), then clues removed in random order, each removal kept only while the
 * puzzle still has exactly one solution, until the chosen clue count is reached.
 *
 * Difficulty is measured, not assumed: the solver's branch count over the whole uniqueness search.
 * easy = solved by naked/hidden singles alone (0 branches); medium = 1-9 branches; hard = 10 or more.
 */
import { Rng } from '../util/random.js';
import { SudokuSolver } from './sudoku-solver.js';

export type Difficulty = 'easy' | 'medium' | 'hard';

export interface GeneratedSudoku {
  puzzle: Uint8Array; // 81 digits, 0 = blank
  solution: Uint8Array; // 81 digits
  clues: number;
  /** The solver's branch count (0 = singles suffice). */
  guesses: number;
}

export function difficultyOf(guesses: number): Difficulty {
  return guesses === 0 ? 'easy' : guesses < 10 ? 'medium' : 'hard';
}

/** Default clue ranges for each difficulty (used when no --clues range is given). */
export const DIFFICULTY_CLUES: Record<Difficulty, [number, number]> = {
  easy: [32, 45],
  medium: [24, 31],
  hard: [17, 27],
};

export class SudokuGenerator {
  private readonly solver = new SudokuSolver();
  private readonly empty = new Uint8Array(81);
  private readonly cells = new Int32Array(81);

  constructor(private readonly rng: Rng) {}

  /** A uniformly shuffled-search random complete grid. */
  randomGrid(): Uint8Array {
    const r = this.solver.solve(this.empty, 1, this.rng);
    return r.solution!;
  }

  /**
   * One puzzle with a clue count in [minClues, maxClues] and, if given, the wanted difficulty.
   * Gives up (returns null) after `maxTries` grids, e.g. for unreachable clue counts.
   */
  generate(minClues: number, maxClues: number, difficulty?: Difficulty, maxTries = 1000): GeneratedSudoku | null {
    for (let t = 0; t < maxTries; t++) {
      const target = this.rng.intRange(minClues, maxClues);
      const solution = this.randomGrid();
      const puzzle = Uint8Array.from(solution);
      let clues = 81;
      const cells = this.cells;
      for (let i = 0; i < 81; i++) cells[i] = i;
      this.rng.shuffle(cells);
      for (let i = 0; i < 81 && clues > target; i++) {
        const k = cells[i];
        const d = puzzle[k];
        puzzle[k] = 0;
        // Above ~45 clues almost every removal keeps uniqueness; the check is still cheap there
        // because singles solve the puzzle without branching.
        if (this.solver.isUnique(puzzle)) clues--;
        else puzzle[k] = d;
      }
      if (clues > maxClues || clues < minClues) continue;
      const r = this.solver.solve(puzzle, 2);
      if (r.count !== 1) continue; // cannot happen; keeps the invariant explicit
      if (difficulty && difficultyOf(r.guesses) !== difficulty) continue;
      return { puzzle, solution, clues, guesses: r.guesses };
    }
    return null;
  }
}

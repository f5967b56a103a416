/**
 * Example puzzles baked into the page (the page fetches nothing but its own files and the models).
 * Made once with the project's generator: `new SudokuGenerator(new Rng(2026)).generate(...DIFFICULTY_CLUES[d], d)`,
 * two per difficulty (difficulty = the solver's branch count: easy none, medium < 10, hard more).
 */
export interface SudokuExample {
  difficulty: 'easy' | 'medium' | 'hard';
  clues: number;
  puzzle: string;
  solution: string;
}

export const SUDOKU_EXAMPLES: SudokuExample[] = [
  { difficulty: 'easy', clues: 36, puzzle: '7438....55....3.1.2...6..38.821..654..1.249.39...3.1.....4....21.5...846.2..8.5..', solution: '743819265568243719219765438382197654671524983954638127896451372135972846427386591' },
  { difficulty: 'easy', clues: 39, puzzle: '.68...3...5.3.1.4.23145.6.758361..........43.1.49...56...1.7.24..52..18..12.45..9', solution: '468729315957361248231458697583614972679582431124973856896137524745296183312845769' },
  { difficulty: 'medium', clues: 29, puzzle: '..28.5.4...8....5....93.....7.48..............5.1.32...9.57..83..734.16.4..69.5..', solution: '732815946948726351615934728271489635369257814854163297196572483527348169483691572' },
  { difficulty: 'medium', clues: 25, puzzle: '1.95....6.4..63..7.............2......567...37....9.6.....92......1.63.8.9.3..4..', solution: '179584236248963157356217849963425781485671923712839564834792615527146398691358472' },
  { difficulty: 'hard', clues: 22, puzzle: '1....2.4.....5...8..6..71...4.3..9.....82...5......7..6...1...2.37......4.......6', solution: '153982647794651238826437159548376921371829465269145783685714392937268514412593876' },
  { difficulty: 'hard', clues: 25, puzzle: '........685.9.2...64.....2....3....1.3...427...4.7.86...31..4.......9....7..56...', solution: '312847596857962134649513728726385941138694275594271863963128457485739612271456389' },
];

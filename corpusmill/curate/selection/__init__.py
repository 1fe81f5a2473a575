"""Model-based scoring and data selection, trained offline on the user's own data.

`lm_words` is the one tokenization of the n-gram models (training and scoring);
`ngram_lm` trains and loads KenLM models (and the wordfreq unigram baseline);
`perplexity_stage` is the `perplexity` pipeline stage; `dsir` is importance
resampling toward a target set; `selectors` puts every scorer behind one
interface for `corpusmill select` and `bench/selection.py`.
"""

"""Portal pages of performance: the partner dashboard (`dashboard`) and the results
upload for partners without an integration (`results_upload`)."""

"""The billing feed (docs/rules.md, The billing feed): a partner's billing report lines per
closed month as files a script can follow — CSV and Parquet with a manifest, versioned: a new
version when lines reach a month after it was published, every version kept."""

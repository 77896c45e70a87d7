"""The athlete's dashboard: HTML pages built from the warehouse, plotly.js once per folder."""

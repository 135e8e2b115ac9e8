"""tco: should we self-host an open-weight LLM or pay a hosted API per token?

Pure, vectorised domain package (never imports streamlit): catalogs -> scenario -> evaluate() -> Result.
"""
__version__ = "0.1.0"

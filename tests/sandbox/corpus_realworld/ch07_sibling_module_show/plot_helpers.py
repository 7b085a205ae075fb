"""Helpers shared by the chapter's scripts."""
import matplotlib.pyplot as plt

PALETTE = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]


def clean_axes(ax, title=None):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=3)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return ax


def new_figure(w=5.0, h=3.0):
    fig, ax = plt.subplots(figsize=(w, h))
    return fig, clean_axes(ax)

# Bar chart with long category names rotated 45 degrees; no savefig (figure left open).
import matplotlib.pyplot as plt

categories = ['Customer Support Tickets', 'Feature Requests', 'Bug Reports (Critical)',
              'Bug Reports (Minor)', 'Documentation Issues', 'Performance Complaints',
              'Billing Questions', 'Account Recovery']
counts = [342, 128, 45, 210, 67, 89, 156, 73]

plt.figure(figsize=(10, 6))
plt.bar(categories, counts, color='mediumpurple')
plt.xticks(rotation=45, ha='right')
plt.ylabel('Count (last 30 days)')
plt.title('Incoming Requests by Category')
plt.tight_layout()

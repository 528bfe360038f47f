from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Award, AwardList, Objection

admin.site.register(AwardList, ReadOnlyAdmin)
admin.site.register(Award, ReadOnlyAdmin)
admin.site.register(Objection, ReadOnlyAdmin)
